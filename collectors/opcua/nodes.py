"""Resolving configured nodes on a live session: namespace URI → index, browse path → node id.

Done on every connection, because a server may number its namespaces differently after a restart or
an upgrade. A node that cannot be resolved is reported with its key in the site file and why (unknown
namespace URI, no node at that browse path); the others are collected regardless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from asyncua import Client, ua

from bulkdaq.config.opcua_section import OpcUaNode, OpcUaServer

TRANSLATE_CHUNK = 1000  # browse paths per TranslateBrowsePathsToNodeIds request


@dataclass(frozen=True)
class NodeProblem:
    """A configured node that could not be subscribed to, and why."""

    index: int  # position in the server's `nodes` list
    node: OpcUaNode
    problem: str

    def describe(self, server_index: int | None = None) -> str:
        where = f"opcua.servers[{server_index}].nodes[{self.index}]" if server_index is not None else f"nodes[{self.index}]"
        return f"{where} ({self.node.label}): {self.problem}"


async def resolve_nodes(client: Client, server: OpcUaServer) -> tuple[dict[int, ua.NodeId], list[NodeProblem]]:
    """Node ids of the server's configured nodes by position, and the nodes that could not be resolved."""
    namespaces = await client.get_namespace_array()
    index_of = {uri: i for i, uri in enumerate(namespaces)}
    resolved: dict[int, ua.NodeId] = {}
    problems: list[NodeProblem] = []
    by_path: list[tuple[int, OpcUaNode, int]] = []
    for i, node in enumerate(server.nodes):
        uri = server.namespace_of(node) or ""
        ns = index_of.get(uri)
        if ns is None:
            served = ", ".join(repr(u) for u in namespaces[1:]) or "none"
            problems.append(NodeProblem(i, node, f"namespace URI {uri!r} is not served by {server.endpoint} (it serves {served})"))
            continue
        if node.node_id is not None:
            resolved[i] = ua.NodeId.from_string(f"ns={ns};{node.node_id}")
        else:
            by_path.append((i, node, ns))
    for start in range(0, len(by_path), TRANSLATE_CHUNK):
        chunk = by_path[start : start + TRANSLATE_CHUNK]
        results = await client.uaclient.translate_browsepaths_to_nodeids([_browse_path(node, ns) for _, node, ns in chunk])
        for (i, node, _), result in zip(chunk, results, strict=False):
            if result.StatusCode.is_good() and result.Targets:
                target = result.Targets[0].TargetId  # an ExpandedNodeId; a plain NodeId is what we subscribe to
                resolved[i] = ua.NodeId(target.Identifier, target.NamespaceIndex, target.NodeIdType)
            else:
                problems.append(NodeProblem(i, node, f"no node at browse path {node.browse_path!r} below Objects ({result.StatusCode.name})"))
    return resolved, problems


def _browse_path(node: OpcUaNode, ns: int) -> ua.BrowsePath:
    elements = []
    for name in node.path_elements():
        element = ua.RelativePathElement()
        element.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HierarchicalReferences)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
        element.IsInverse = False  # type: ignore[assignment]  # asyncua's annotations want its own ua types
        element.IncludeSubtypes = True  # type: ignore[assignment]  # asyncua's annotations want its own ua types
        element.TargetName = ua.QualifiedName(name, ns)
        elements.append(element)
    path = ua.BrowsePath()
    path.StartingNode = ua.NodeId(ua.ObjectIds.ObjectsFolder)  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
    path.RelativePath = ua.RelativePath(Elements=elements)
    return path


def describe_all(problems: Sequence[NodeProblem], server_index: int | None = None) -> str:
    return "; ".join(p.describe(server_index) for p in problems)


__all__ = [
    "TRANSLATE_CHUNK",
    "NodeProblem",
    "describe_all",
    "resolve_nodes",
]
