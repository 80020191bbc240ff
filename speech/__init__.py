"""Audio to text with openai-whisper on the CPU, after ffmpeg decoding."""
