"""The Douyin live feed: dy-barrage-grab frame decoding, the WebSocket listener that publishes
normalised events on the bus, and a replay server that plays recordings as dy-barrage-grab."""
