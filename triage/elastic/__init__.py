"""The Elasticsearch source (issue 3): read a build's failure window from a cluster,
Elasticsearch 9 or, with ``engine = "opensearch"``, OpenSearch 2.x.

- ``settings``: ``[elasticsearch]`` in triage.toml + ``TRIAGE_ES_*`` -> ``EsSettings``
- ``client``: a configured client; calls with bounded retries and clear errors
- ``opensearch``: opensearch-py behind the Elasticsearch client's calls (``SearchClient``)
- ``mapping``: index templates (ECS) and record <-> document conversions
- ``index``: ``triage es load`` (build folders -> indices, bulk)
- ``window``: a build's metadata, tests and time window
- ``pull`` / ``convert``: point-in-time, sliced, paged pull into the events frame
- ``source``: all of it as a ``LoadedBuild``, like the file source

The ``elasticsearch`` client is imported only by these modules, so the file source
works without touching it.
"""
