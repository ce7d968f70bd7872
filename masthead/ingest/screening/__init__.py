"""Content-farm screening: general signals, a labelled generator, and a small learned model.

`lexicon` says how plausible a token is as a word (wordfreq's English list plus the site's own
vocabulary) and splits fused tokens; `signals` turns one item into named features with the
evidence behind them; `generator` writes labelled clean and spam items; `model` holds the
weights of one logistic regression per pattern group, trained on the generator, and turns
features into a verdict with a reason. Plain Python/NumPy: no Django import.
"""
