"""Audio stage: the speech queue, the player state machine, chunked playback and output sinks
(design §5). Other stages reach it only through the bus."""
