"""A question read once, and the papers that answer it: lexical and dense signals fused,
papers named by ID, link or author, and the evaluation that measures it."""
