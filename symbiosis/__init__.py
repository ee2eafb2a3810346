"""symbiosis: optimiser for industrial-symbiosis networks."""
