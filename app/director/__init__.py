"""The director: what the room says next (design §5a).

A shared, pure library (no bus, no threads, every method takes ``now``): the player's state
machine asks it which ready utterance plays next and where a cut falls; the reply policy asks
its airtime budgets whether a thank-you or an answer may be made now. The stages keep their
own instances; the decisions live here, once.
"""

from app.director.airtime import ANSWER, CLASSES, OTHER, SCRIPT, THANKS, Airtime, air_class
from app.director.budget import AirtimeBudget, SpeechRate
from app.director.policy import Director
from app.director.settings import DirectorSettings

__all__ = [
    "ANSWER", "CLASSES", "OTHER", "SCRIPT", "THANKS", "Airtime", "AirtimeBudget", "Director",
    "DirectorSettings", "SpeechRate", "air_class",
]
