"""Spellings of a style block that once skipped the CSS filter, and signed image-proxy URLs
planted in mail, shared by the sanitiser's unit tests and the XSS browser suite.

`style_variants(css)` wraps `css` in every spelling of a style element we know of: attributes,
upper and mixed case, self-closing, nested, inside SVG, MathML, noscript or template, with
comments or CDATA, end tags with attributes. `PLANTED_PROXY` holds gpanel image-proxy URLs
(as another message or session would have been given them) placed where a browser would load
them: images, CSS in attributes and blocks, legacy attributes. `GPANEL_ORIGIN` stands for
gpanel's own origin; the browser suite replaces it when it builds each frame.
"""

from __future__ import annotations

GPANEL_ORIGIN = "GPANEL_ORIGIN"


def style_variants(css: str) -> list[str]:
    return [
        f"<style class=x>{css}</style>",
        f'<style class="x" id=y media="all" type="text/css">{css}</style>',
        f"<style nonce=abc>{css}</style>",
        f"<style lang=en title=t dir=ltr>{css}</style>",
        f"<STYLE CLASS=X>{css}</STYLE>",
        f"<StYlE\tclass=x\n>{css}</sTyLe>",
        f"<style/x>{css}</style>",
        f"<style/>{css}</style>",
        f"<style class=x>{css}</style class=x>",
        f"<style class=x>{css}</style\n>",
        f"<style class=x><style>{css}</style></style>",
        f"<div><style class=x>{css}</style></div>",
        f"<table><style class=x>{css}</style><tr><td>1</td></tr></table>",
        f"<svg><style class=x>{css}</style></svg>",
        f"<math><style class=x>{css}</style></math>",
        f"<svg><foreignObject><style class=x>{css}</style></foreignObject></svg>",
        f"<noscript><style class=x>{css}</style></noscript>",
        f"<template><style class=x>{css}</style></template>",
        f"<style class=x><!-- {css} --></style>",
        f"<!--<style class=x>-->{css}<!--</style>-->",
        f"<style class=x><![CDATA[ {css} ]]></style>",
        f"<svg><style><![CDATA[</style><style class=x>{css}]]></style></svg>",
        f"<style class=x>/* */{css}</style>",
        f'<p title="</style><style class=x>{css}">x</p>',
        f"<style class=x>p{{color:red}}</style><style media=print>{css}</style>",
        f"<html><head><style class=x>{css}</style></head><body>hi</body></html>",
        f"<body><style class=x>{css}</style>hi</body>",
        f"<xmp><style class=x>{css}</style></xmp>",
        f"<style class=x>{css}",
    ]


def _proxy(path: str, tracked: str) -> str:
    return f"{GPANEL_ORIGIN}{path}?u=http%3A%2F%2Ftracker.example.com%2F{tracked}&s=eyJ2IjoxfQ.sig"


def planted_proxy(path: str) -> list[str]:
    """Signed-looking proxy URLs on `path` (gpanel's `/img` or a test's proxy path)."""
    url = _proxy(path, "read.gif")
    cells = "<table><tr><td>x</td></tr></table>"
    return [
        f'<img src="{url}">',
        f"<img src={url} width=1 height=1>",
        f'<div style="background:url({url})">x</div>',
        f'<div style="background-image:url(&quot;{url}&quot;)">x</div>',
        f"<style class=x>td{{background:url({url})}}</style>{cells}",
        f"<style media=all>@import url({url});</style>",
        f"<STYLE TYPE=text/css>td{{background:url('{url}')}}</STYLE>{cells}",
        f'<table background="{url}"><tr><td>x</td></tr></table>',
        f'<body background="{url}">x</body>',
        f'<img srcset="{url} 1x">',
        f'<picture><source srcset="{url}"><img src="x"></picture>',
        f'<video poster="{url}"></video>',
        f'<input type="image" src="{url}">',
        f'<link rel="stylesheet" href="{url}">',
        f'<svg><image href="{url}"></image></svg>',
        f'<a href="{url}"><img src="{url}"></a>',
    ]
