"""Utterances for recognition tests and benchmarks: (context, text, expected intent).

Phrasings are deliberately not just the first alternative of each template.
Out-of-grammar utterances expect None: they must be rejected.
"""

IN_GRAMMAR = [
    ("idle", "my back is spasming", "start_guidance"),
    ("idle", "I'm having a back spasm", "start_guidance"),
    ("idle", "help my back has locked up", "start_guidance"),
    ("yes_no", "yes", "yes"),
    ("yes_no", "yeah", "yes"),
    ("yes_no", "yes I do", "yes"),
    ("yes_no", "no", "no"),
    ("yes_no", "nope", "no"),
    ("yes_no", "not really", "no"),
    ("yes_no", "no I haven't", "no"),
    ("yes_no", "repeat the question", "repeat"),
    ("guidance", "next", "next"),
    ("guidance", "go on", "next"),
    ("guidance", "go back", "previous"),
    ("guidance", "one more time", "repeat"),
    ("guidance", "hold on", "pause"),
    ("guidance", "that's enough", "stop"),
    ("guidance", "what can I say", "help"),
    ("guidance", "start the ice timer", "start_ice_timer"),
    ("guidance", "start the heat timer", "start_heat_timer"),
    ("guidance", "set a timer for twenty minutes", "set_timer"),
    ("guidance", "how much time is left", "time_left"),
    ("guidance", "cancel the timer", "cancel_timer"),
    ("guidance", "start the knee to chest stretch", "start_stretch"),
    ("guidance", "why does this happen", "explain_causes"),
    ("guidance", "how can I prevent this", "prevention_tips"),
    ("guidance", "when should I see a doctor", "when_to_see_doctor"),
    ("countdown", "skip", "next"),
    ("countdown", "pause", "pause"),
    ("paused", "resume", "resume"),
    ("emergency", "say that again", "repeat"),
]

OUT_OF_GRAMMAR = [
    ("idle", "I'm going to the shops later"),
    ("idle", "my phone is ringing"),
    ("idle", "what's on television tonight"),
    ("yes_no", "what's the weather like today"),
    ("yes_no", "I went to the park yesterday"),
    ("yes_no", "the kettle has boiled"),
    ("guidance", "turn on the kitchen lights"),
    ("guidance", "play some music please"),
    ("guidance", "the cat sat on the mat"),
    ("guidance", "where did I leave my keys"),
]
