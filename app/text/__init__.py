"""Pure text libraries shared by several stages (no I/O, no bus): sentence splitting, the
variant engine, keyword rules. Stages may import these; they import no stage."""
