"""KRO escrow (seeds 000–002): conditional payments between a buyer and a seller."""
