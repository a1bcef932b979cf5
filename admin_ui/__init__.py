"""The back office: server-rendered pages under ``/admin/`` for staff, marketing and admins.

``admin_ui.routes.ROUTER`` holds every page (added to the app's route handlers) and
:func:`admin_ui.render.template_config` the Jinja2 environment (autoescaping on). Pages are
thin: they check the session, the CSRF token and the role (:mod:`admin_ui.auth`), call one
domain service and render a template.
"""
