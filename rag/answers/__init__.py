"""The answer operations (ask, summarize, compare, recommend, digest), their offline
extracts, and what the model writes for paperbot (prompts, glosses, search phrasings, new
rows), with the answer cache."""
