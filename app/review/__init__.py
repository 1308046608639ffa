"""直播复盘: the post-live review of one run, built from the database the run wrote (no Qt).

``load_review(db, session_id)`` → ``ReviewData`` (every number shown), ``make_charts(data)`` →
matplotlib figures, ``write_review(data, out_dir)`` → a self-contained HTML file plus CSVs.
"""

from app.review.charts import Chart, make_charts
from app.review.data import ReviewData, ReviewError, list_sessions, load_review
from app.review.report import default_out_dir, render_html, summary, write_review

__all__ = ["Chart", "ReviewData", "ReviewError", "default_out_dir", "list_sessions", "load_review",
           "make_charts", "render_html", "summary", "write_review"]
