"""The models: the language model behind a gate (any OpenAI-compatible server), the
embedding models that run on this machine, and the ledger of what each call cost."""
