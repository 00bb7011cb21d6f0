"""``smtpdoctor queue``: a mail queue by destination, cause and age; flush and watch.

:mod:`~smtpdoctor.queue.live` reads the local MTA's queue or a dump,
:mod:`~smtpdoctor.queue.aggregate` counts it, :mod:`~smtpdoctor.queue.report`
builds the ``smtpdoctor.queue/1`` document, :mod:`~smtpdoctor.queue.flush`
asks the MTA to retry one destination and watches it drain. See docs/queue.md.
"""
