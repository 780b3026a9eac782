"""The closed sets of names callers choose from: hop kinds, directions, coverage groupings, export formats.

A module that imports nothing but ``enum``, so the command line can list them in its help without loading the
domain (routing alone pulls in networkx, pypinyin and the index). The modules that act on a name import its set
from here.
"""

from enum import StrEnum


class HopKind(StrEnum):
    """The kinds of hop, from strongest to weakest; a route is as strong as its weakest hop."""

    FORMAL_RECOGNITION = "formal-recognition"
    SAME_QUALIFICATION = "same-qualification"
    GRADE_DOMINANCE = "grade-dominance"
    CROSS_SYSTEM_BRIDGE = "cross-system-bridge"


#: the hop kinds' names, strongest first
HOP_KINDS: tuple[str, ...] = tuple(kind.value for kind in HopKind)


class Direction(StrEnum):
    """Which way an agreement recognises (cb:direction): each party the others', one side the other's, or unsaid."""

    MUTUAL = "mutual"
    ONE_WAY = "one-way"
    NOT_STATED = "not-stated"


class Grouping(StrEnum):
    """How coverage pairs are grouped: both sides by one property, or occupation group × the held certificate's
    issuer kind."""

    REGION = "region"
    OCCUPATION_GROUP = "occupation-group"
    ISSUER_KIND = "issuer-kind"
    OCCUPATION_GROUP_BY_ISSUER_KIND = "occupation-group/issuer-kind"


GROUPINGS: tuple[str, ...] = tuple(grouping.value for grouping in Grouping)


class ConditionKind(StrEnum):
    """What a holder must still do after recognition under an agreement (cb:conditionKind), as a source states it."""

    EXAMINATION = "examination"
    COMPREHENSIVE_REVIEW = "comprehensive-review"
    RESIDENCE = "residence"


CONDITION_KINDS: tuple[str, ...] = tuple(kind.value for kind in ConditionKind)

#: export formats of the union of the graphs, then of the dataset (named graphs kept)
UNION_FORMATS = ("ttl", "nt", "jsonld")
DATASET_FORMATS = ("trig", "nq")
EXPORT_FORMATS = (*UNION_FORMATS, *DATASET_FORMATS)
#: formats other tools of the credential world read, each of a part of the graph (graph/formats/); the command
#: line's export offers them after the RDF formats above, which are the ones the web service downloads
ELSEWHERE_FORMATS = ("skos", "sssom", "ctdl")
CLI_EXPORT_FORMATS = (*EXPORT_FORMATS, *ELSEWHERE_FORMATS)

#: formats `certbridge import` reads: CSV rows of any table, or an SSSOM mapping set (rows of alignments.csv)
IMPORT_FORMATS = ("csv", "sssom")
