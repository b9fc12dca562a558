"""CrewAI as openinference-instrumentation-crewai exports it (Arize-ai/openinference
`python/instrumentation/openinference-instrumentation-crewai`, `_wrappers.py`).

The spans follow OpenInference (conventions/openinference.py); beside those keys the
instrumentor writes its own, unprefixed ones. Those that copy the crew's prompts (the agents'
goals and backstories, the tasks' descriptions, the kickoff inputs) are content: hidden with
the inputs.
"""

from __future__ import annotations

from typing import Final

SCOPE: Final = "openinference.instrumentation.crewai"
"""Instrumentation scope of the crew, task, agent and tool spans."""
CREW_INPUTS: Final = "crew_inputs"
"""A crew span's kickoff inputs, JSON (also in `input.value`)."""
CREW_AGENTS: Final = "crew_agents"
"""A crew span's agents, JSON: role, goal, backstory, tool names..."""
CREW_TASKS: Final = "crew_tasks"
"""A crew span's tasks, JSON: description, expected output, agent role..."""
FLOW_INPUTS: Final = "flow_inputs"
"""A flow span's kickoff inputs, JSON."""
FORMATTED_DESCRIPTION: Final = "formatted_description"
"""A task span's description with the inputs filled in (crews with `share_crew`)."""
FORMATTED_EXPECTED_OUTPUT: Final = "formatted_expected_output"
"""A task span's expected output with the inputs filled in (crews with `share_crew`)."""
AGENT_GOAL: Final = "agent.goal"
"""An `Agent.kickoff` span's agent goal (part of its system prompt)."""
AGENT_BACKSTORY: Final = "agent.backstory"
"""An `Agent.kickoff` span's agent backstory (part of its system prompt)."""

INPUT_CONTENT: Final = (
    CREW_INPUTS, CREW_AGENTS, CREW_TASKS, FLOW_INPUTS, FORMATTED_DESCRIPTION,
    FORMATTED_EXPECTED_OUTPUT, AGENT_GOAL, AGENT_BACKSTORY,
)  # fmt: skip
"""Attributes copying the crew's prompts and inputs."""
