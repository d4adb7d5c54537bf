"""The gateway's pure rules: API keys, organizations, the route table, header policy. No I/O."""
