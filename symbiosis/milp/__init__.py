"""The Pyomo formulation: plain data (:mod:`.data`) and one function per constraint family
(:mod:`.model`)."""

from symbiosis.milp.data import ModelData, annuity_factor
from symbiosis.milp.horizon import build_model_data
from symbiosis.milp.model import BUILD_STEPS, ExtraConstraints, build_model, model_arrays

__all__ = [
    "BUILD_STEPS",
    "ExtraConstraints",
    "ModelData",
    "annuity_factor",
    "build_model",
    "build_model_data",
    "model_arrays",
]
