"""Operator content on disk: the product library (products, script segments, FAQ rules,
timed tasks) and the reaction templates. Pure loading/saving; no bus, no stage imports."""

from app.content.library import ProductLibrary
from app.content.product import Product, ProductError, Segment
from app.content.templates import TemplateError, Templates
from app.content.timed import TimedTask, TimedTaskError

__all__ = [
    "Product", "ProductError", "ProductLibrary", "Segment", "TemplateError", "Templates",
    "TimedTask", "TimedTaskError",
]
