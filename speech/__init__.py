"""Audio to text with openai-whisper on the CPU, after ffmpeg decoding."""

import os

# libgomp (torch's OpenMP) reads this once, when torch is first imported. Its default lets idle
# threads spin; on a 2-core server shared with the bot and other jobs a spinning thread waits for a
# descheduled peer, and Whisper ran 2-5x slower under one competing process (measured). setdefault
# keeps an operator's explicit choice.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
