"""The list itself: what a paper is and its row in the group's Markdown table, arXiv IDs in
every form, the inbox table /add writes to, arXiv's API, and topic names as people type them."""
