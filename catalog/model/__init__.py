"""The catalog's entity model rules, as pure Python (no database), following Backstage's catalog model.

- :mod:`.refs`: entity references (``kind:namespace/name``), parsing and identity keys;
- :mod:`.validation`: the problems of a descriptor document (:func:`validate_entity`);
- :mod:`.kinds`: the shapes of the built-in kinds and their reference fields;
- :mod:`.relations`: the relations (and inverses) an entity's fields make;
- :mod:`.search`: the search rows and free text of an entity.
"""

from .refs import DEFAULT_NAMESPACE, EntityRef, RefError, entity_ref, parse_ref
from .relations import RELATION_PAIRS, field_refs, relations_for
from .search import search_entries, search_text
from .validation import KNOWN_KINDS, Problem, validate_entity

__all__ = [
    "DEFAULT_NAMESPACE",
    "KNOWN_KINDS",
    "RELATION_PAIRS",
    "EntityRef",
    "Problem",
    "RefError",
    "entity_ref",
    "field_refs",
    "parse_ref",
    "relations_for",
    "search_entries",
    "search_text",
    "validate_entity",
]
