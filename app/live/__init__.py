"""The Douyin live feed: dy-barrage-grab frame decoding (``decoder``, ``fields``: range checks and
the feed's own semantics), our room only (``room``), a gift's true increase (``gifts``), the
three together (``feed.FeedPipeline``), the WebSocket listener that publishes our room's
normalised events on the bus (``listener``), and a replay server that plays recordings as
dy-barrage-grab."""
