"""Products and scripts: the product list, product facts and FAQ rules, the segment editor."""
