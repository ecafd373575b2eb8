"""Sphinx hooks that shape the book's pages (loaded through _config.yml: sphinx.local_extensions).

1. Publishing in one place: the repository button and the Binder/Colab launch buttons all come
   from ``repository.url`` in _config.yml. While it is empty (the book is not published yet) they
   are all switched off, so no page links to a placeholder repository.
2. No Thebe: the book does not use live code cells in the page (launch_buttons.thebe is false),
   but jupyter-book always loads sphinx-thebe, which adds its config script twice (an uncaught
   "THEBE_JS_URL has already been declared" on every page) and a Thebe config naming a default
   Binder repository. Both are removed from every page.
"""
import re

THEBE_BODY = re.compile(r'\s*<script type="text/x-thebe-config">.*?</script>'
                        r'\s*<script>kernelName = [^<]*</script>', re.S)


def publishing(app, config):
    """Repository button on when repository.url is set; it and every launch button off if not.

    (jupyter-book refuses ``use_repository_button: true`` with an empty URL, so _config.yml
    keeps it false and this hook decides.)
    """
    opts = config.html_theme_options
    if str(opts.get("repository_url") or "").strip():
        opts["use_repository_button"] = True
    else:
        opts["repository_url"] = ""
        for key in ("use_repository_button", "use_issues_button", "use_edit_page_button",
                    "use_source_button"):
            opts[key] = False
        opts["launch_buttons"] = {}


def drop_thebe(app, pagename, templatename, context, doctree):
    """Remove sphinx-thebe's scripts, stylesheet and per-page config from the page."""
    def keep(asset):
        name = getattr(asset, "filename", None) or str(asset)
        body = (getattr(asset, "attributes", None) or {}).get("body", "")
        return "sphinx-thebe" not in (name or "") and "THEBE_JS_URL" not in (body or "")

    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [a for a in context[key] if keep(a)]
    if "body" in context:
        context["body"] = THEBE_BODY.sub("", context["body"])


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.connect("autodoc-process-docstring", docstring_as_text)
    app.connect("config-inited", publishing, priority=100)
    app.connect("html-page-context", drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# ----------------------------------------------------------------------------- API reference
_ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|obj):`~?([^`]+)`")


def docstring_as_text(app, what, name, obj, options, lines):
    """Show each sslcore docstring as written, in monospace (as ``help()`` shows it in Jupyter).

    The docstrings are plain text with ASCII formulas (``|x|``, ``||W||``, aligned multi-line
    equations), not reStructuredText: parsed as RST, ``|x|`` is a substitution and an indented
    formula a block quote. So the text goes into a literal block, with Sphinx roles and double
    backquotes reduced to the names they mark. book.css wraps its long lines (class api-doc)."""
    if not name.startswith("sslcore") or not lines:
        return
    text = [_ROLE.sub(r"\1", line).replace("``", "") for line in lines]
    text = [line[:-1] if line.endswith("::") else line for line in text]
    lines[:] = ([".. code-block:: text", "   :class: api-doc", ""]
                + ["    " + line if line.strip() else "" for line in text] + [""])
