"""The project package (settings, URLs, WSGI) and the shared kernel below plans/ and monitoring/:
periods, money, RAG, model and form fields, history, concurrency, narrative text and the
template tags every app's pages use. The kernel imports neither app (import contracts in
pyproject.toml); reporting/ sits above both apps."""
