"""A route answer as text a policy officer can paste into a memo, in Chinese and English."""

from __future__ import annotations

from certbridge.graph.routing.model import Condition, Endpoint, Hop, RouteAnswer, condition_names

KIND_NAMES = {
    "formal-recognition": ("正式认可", "formal recognition"),
    "same-qualification": ("同一资格", "same qualification"),
    "grade-dominance": ("高等级覆盖低等级", "grade dominance"),
    "cross-system-bridge": ("跨体系贯通", "cross-system bridge"),
}


def _name(endpoint: Endpoint) -> str:
    return f"{endpoint.label_zh or endpoint.iri} / {endpoint.label_en or endpoint.iri}"


def _hop_lines(number: int, hop: Hop) -> list[str]:
    zh, en = KIND_NAMES[hop.kind]
    e = hop.evidence
    lines = [f"  {number}. {_name(hop.source)}", f"     → {_name(hop.target)}", f"     {zh} / {en} ({hop.derivation})"]
    lines.append(f"     evidence: {e.label_zh or ''} / {e.label_en or ''} <{e.iri}>")
    details = [
        f"document {e.document_number}" if e.document_number else None,
        f"valid {e.valid_from or '?'} – {e.valid_to or 'open'}" if e.valid_from or e.valid_to else None,
        f"status {e.status}" if e.status else None,
        f"mechanism {e.mechanism}" if e.mechanism else None,
        f"rule <{e.rule}>" if e.rule else None,
        "ILLUSTRATIVE (not a real fact)" if e.illustrative else None,
        "SYNTHETIC (generated for scale tests)" if e.synthetic else None,
    ]
    if any(details):
        lines.append("     " + "; ".join(d for d in details if d))
    lines += [f"     note: {note}" for note in e.notes]
    lines += [f"     {_condition(c)}" for c in e.conditions]
    for source in e.sources:
        lines.append(
            f"     source: {source.title or source.iri} {source.url or '(no address)'} (trust {source.trust or '?'})"
        )
    for q in hop.quality:
        checks = ", ".join(f"{d} {r}" for d, r in q.checks) or "no checks recorded"
        sanctions = ", ".join(f"{d} {s} ({r})" for d, r, s in q.sanctions) or "no sanctions"
        lines.append(
            f"     issuer {q.label_zh}: {q.kind}, question bank {q.question_bank or 'unknown'}; "
            f"{checks}; {sanctions}"
            + (f"; authorisation last confirmed on {q.last_confirmed}" if q.last_confirmed else "")
            + (" [illustrative]" if q.illustrative else "")
        )
    return lines


def _condition(condition: Condition) -> str:
    zh, en = condition_names().get(condition.kind, (condition.kind, condition.kind))  # the ontology's names
    return f"condition / 条件: {zh} / {en}: {condition.text or '(words not recorded)'}"


def render(answer: RouteAnswer) -> str:
    source, target = answer.source, answer.target
    lines = [
        f"问：{source.label_zh} 能否在要求 {target.label_zh} 的场合被认可？（截至 {answer.as_of}）",
        f"Q: Is {source.label_en} accepted where {target.label_en} is required? (as of {answer.as_of})",
        "",
    ]
    if answer.unconditional:
        lines[-1:] = ["仅无条件认可 / unconditional recognition only: agreements with conditions are left out", ""]
    if not answer.routes:
        no = answer.no_route
        lines += ["答：未找到认可路径。 / A: no route found.", f"Why: {no.reason}" if no else ""]
        if no and no.source_reaches:
            lines.append(
                "The source certificate does reach: " + "; ".join(e.label_zh or e.iri for e in no.source_reaches)
            )
        if no and no.target_reached_from:
            lines.append(
                "The target is reached from: " + "; ".join(e.label_zh or e.iri for e in no.target_reached_from)
            )
        if no and no.missing_agreement:
            lines.append(f"What would connect them: {no.missing_agreement}")
        return "\n".join(lines).rstrip() + "\n"
    lines.append(
        f"答：找到 {len(answer.routes)} 条路径（由强到弱）。 / A: {len(answer.routes)} route(s), strongest first."
    )
    for number, route in enumerate(answer.routes, 1):
        zh, en = KIND_NAMES[route.strength]
        flag = "  [contains ILLUSTRATIVE data / 含示例数据]" if route.illustrative else ""
        flag += "  [contains SYNTHETIC data / 含合成数据]" if route.synthetic else ""
        lines += ["", f"Route {number}: {en} / {zh}, {len(route.hops)} hop(s){flag}"]
        conditions = route.conditions
        if conditions:
            lines.append(f"  有条件 / conditional: the holder must still meet {len(conditions)} condition(s):")
            lines += [f"   - {_condition(c)}" for c in conditions]
        for index, hop in enumerate(route.hops, 1):
            lines += _hop_lines(index, hop)
    return "\n".join(lines) + "\n"
