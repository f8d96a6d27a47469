"""The five conditioning values of SPEC 3 in order, and the header of a `cnnv3 analyze` CSV.

Generated from shadergen/conditioning_names.h (the one definition); the unit test ConditioningNames
checks the block below and prints the text to paste when it differs.
"""

# BEGIN generated from shadergen/conditioning_names.h; do not edit
CONDITIONING_NAMES = ("beat_phase", "beat_norm", "audio_intensity", "style_p0", "style_p1")
CONDITIONING_CSV_HEADER = "frame,time,beat_phase,beat_norm,audio_intensity,style_p0,style_p1"
# END generated
