"""The page benchmark (issue 14): every main page of every role, served as in production
(gunicorn with gunicorn.conf.py, DEBUG off), timed with wrk at 1 and 20 connections, each page
alternating with a raw-SQL "floor" view that returns the same rows in one hand-written query.

Never part of the clinic: nothing in hrp/ or the apps imports it, and its settings module
(`bench.settings`) is the only one that mounts the floor views. Run with `python -m bench`.
"""
