"""tradebind: connect trading bots to exchange accounts through API keys, safely."""
