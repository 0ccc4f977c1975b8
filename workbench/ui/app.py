"""Assemble the Gradio app from its tabs. Every tab gets the services object; nothing is global."""

from __future__ import annotations

import gradio as gr

from workbench.services import Services
from workbench.ui.chat_tab import build_chat_tab
from workbench.ui.compare_tab import build_compare_tab
from workbench.ui.data_tab import build_data_tab
from workbench.ui.export_tab import build_export_tab
from workbench.ui.quality_tab import build_quality_tab
from workbench.ui.rate_tab import RATE_JS, build_rate_tab

CSS = """
.column-header h3 { margin: 0 0 .25rem 0; }
.column-status { min-height: 1.5em; font-size: .9em; }
footer { display: none !important; }
"""

#: passed to ``demo.launch(js=JS)``: page-load scripts (the Rate tab's keyboard shortcuts)
JS = RATE_JS

TITLE = "BianQue Workbench · 扁鹊健康大模型对比标注台"


def build_app(svc: Services) -> gr.Blocks:
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        state = gr.State({"dialogue_id": None})
        gr.Markdown(f"## {TITLE}")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat = build_chat_tab(svc, state)
            with gr.Tab("Rate", id="rate"):
                build_rate_tab(svc)
            with gr.Tab("Compare", id="compare"):
                build_compare_tab(svc)
            with gr.Tab("Quality", id="quality"):
                build_quality_tab(svc)
            with gr.Tab("Data", id="data"):
                data = build_data_tab(svc)
            with gr.Tab("Export", id="export"):
                build_export_tab(svc)
        demo.load(chat["on_load"], None, chat["load_outputs"], api_name=False)
        demo.load(data["on_load"], None, data["load_outputs"], api_name=False)
    demo.queue(default_concurrency_limit=svc.config.server.concurrency_limit)
    return demo
