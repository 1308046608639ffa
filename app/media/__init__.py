"""Audio data any stage may use: WAV bytes and files in and out (``wav``), resampling
(``resample``). Pure functions and small classes; no bus, no stage imports."""
