"""Chat LLMs behind one small interface: a ChatModelArgs dataclass per backend makes a ChatModel.

Backends: `openai_chat` (OpenAI, Azure OpenAI, OpenRouter, any OpenAI-compatible server such as
vLLM, TGI, llama.cpp or Ollama), `hf_chat` (huggingface_hub's InferenceClient for TGI and HF
endpoints) and `local_chat` (a small GGUF model served offline by `local_server`). Imports are
lazy: `agentlab.llm.chat` needs no LLM client library.
"""
