"""Every sentence of an answer checked against the papers it cites: which paper supports it,
what contradicts it, the names and numbers it states, and the [n] markers that point at them."""
