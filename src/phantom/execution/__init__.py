"""Execution clients: the interface, the paper realism model and the route policy.

Depends on ``core``, ``amm`` (curve and sandwich maths) and ``market`` (the read-only view).
"""

from phantom.execution.client import ExecutionClient, ExecutionOutcome
from phantom.execution.paper import PaperExecutionClient
from phantom.execution.params import RealismParams
from phantom.execution.realism import RefusedIntent
from phantom.execution.route_policy import RouteDecision, RoutePolicy

__all__ = [
    "ExecutionClient",
    "ExecutionOutcome",
    "PaperExecutionClient",
    "RealismParams",
    "RefusedIntent",
    "RouteDecision",
    "RoutePolicy",
]
