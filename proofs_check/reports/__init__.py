"""`icl-verify report <paper>`: one configuration run, bound versus empirics (Markdown, JSON, plots)."""
