"""How the gateway is reached: its HTTP routes (own resources and forwarding) and its CLI."""
