"""Where the figure side and the server meet, and what travels between browser and server.

The messages viewers send (:mod:`.incoming`) and are sent (:mod:`.outgoing`), the browser's
names for keys and buttons (:mod:`.browser_names`), the two interfaces the figure side and the
server talk through (:mod:`.interfaces`), and the news of figures opening and closing that
pages listing figures follow (:mod:`.figure_changes`). Pure data and functions: no matplotlib,
no Tornado.
"""
