"""Walking a server's address space below Objects, for `bulkdaq opcua browse` (writing site files).

Each variable is listed the way a site file names it: browse path, node id *without* its namespace
index, and the namespace URI.
"""

from __future__ import annotations

from dataclasses import dataclass

from asyncua import Client, ua


@dataclass(frozen=True)
class BrowsedVariable:
    """One variable found below Objects."""

    browse_path: str
    node_id: str  # without "ns=…;", e.g. "s=T-101.Level"
    namespace_uri: str
    data_type: str
    value: object
    status: str


async def browse_variables(client: Client, *, max_depth: int = 8, max_nodes: int = 10_000, include_server: bool = False) -> list[BrowsedVariable]:
    """Every variable below Objects (depth-first), with its current value; stops at `max_nodes`."""
    namespaces = await client.get_namespace_array()
    found: list[tuple[str, ua.NodeId]] = []
    stack: list[tuple[ua.NodeId, tuple[str, ...], int]] = [(ua.NodeId(ua.ObjectIds.ObjectsFolder), (), 0)]  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
    seen: set[ua.NodeId] = set()
    while stack and len(found) < max_nodes:
        nodeid, path, depth = stack.pop()
        children = await client.get_node(nodeid).get_children_descriptions(refs=ua.ObjectIds.HierarchicalReferences)
        for child in reversed(children):
            target = ua.NodeId(child.NodeId.Identifier, child.NodeId.NamespaceIndex, child.NodeId.NodeIdType)
            if target in seen:
                continue
            seen.add(target)
            if not include_server and target == ua.NodeId(ua.ObjectIds.Server):  # type: ignore[arg-type]  # asyncua's annotations want its own ua types
                continue
            child_path = (*path, child.BrowseName.Name)
            if child.NodeClass == ua.NodeClass.Variable:
                found.append(("/".join(child_path), target))
            if depth + 1 < max_depth and child.NodeClass in (ua.NodeClass.Object, ua.NodeClass.Variable):
                stack.append((target, child_path, depth + 1))
    found.sort()
    values = await client.uaclient.read(_read_parameters([nodeid for _, nodeid in found])) if found else []
    result = []
    for (browse_path, nodeid), datavalue in zip(found, values, strict=False):
        identifier = nodeid.to_string().split(";", 1)[-1] if nodeid.NamespaceIndex else nodeid.to_string()
        variant = datavalue.Value
        result.append(
            BrowsedVariable(
                browse_path=browse_path,
                node_id=identifier,
                namespace_uri=namespaces[nodeid.NamespaceIndex] if nodeid.NamespaceIndex < len(namespaces) else "?",
                data_type=variant.VariantType.name if variant is not None else "Null",
                value=variant.Value if variant is not None else None,
                status=datavalue.StatusCode.name if datavalue.StatusCode is not None else "Good",
            )
        )
    return result


def _read_parameters(nodeids: list[ua.NodeId]) -> ua.ReadParameters:
    params = ua.ReadParameters()
    for nodeid in nodeids:
        item = ua.ReadValueId()
        item.NodeId = nodeid
        item.AttributeId = ua.AttributeIds.Value
        params.NodesToRead.append(item)
    return params


__all__ = [
    "BrowsedVariable",
    "browse_variables",
]
