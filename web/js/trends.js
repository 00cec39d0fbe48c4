// The Trends panel (#20): a live plot per analog channel, fed from web/js/bus.js. Being built.
