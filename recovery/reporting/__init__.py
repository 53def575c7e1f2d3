"""Reports: selectors read, builders (pure) build one Report, renderers turn it into HTML, PDF,
XLSX, CSV and JSON. Above plans and monitoring; only URL modules import its views."""
