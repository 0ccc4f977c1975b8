"""Assemble the Gradio app from its tabs. Every tab gets the services object; nothing is global."""

from __future__ import annotations

import gradio as gr

from workbench.services import Services
from workbench.ui.chat_tab import build_chat_tab

CSS = """
.column-header h3 { margin: 0 0 .25rem 0; }
.column-status { min-height: 1.5em; font-size: .9em; }
footer { display: none !important; }
"""

TITLE = "BianQue Workbench · 扁鹊健康大模型对比标注台"


def build_app(svc: Services) -> gr.Blocks:
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        state = gr.State({"dialogue_id": None})
        gr.Markdown(f"## {TITLE}")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                build_chat_tab(svc, state)
    demo.queue(default_concurrency_limit=svc.config.server.concurrency_limit)
    return demo
