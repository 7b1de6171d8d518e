"""The use cases behind both ways in (the CLI and the HTTP API): no terminal, no request.

``matching`` (a prepared matcher per region), ``runs`` (background match runs), ``reports``
(the monitoring report of a folder or the store), ``obligations`` (one obligation's progress),
``regions`` (region names as they are typed in).
"""
