"""kg.rdf.rdflib_graph: pyoxigraph's triples as an rdflib Graph, the same graph rdflib's own
N-Triples parser makes of them."""

from __future__ import annotations

import gc

import pyoxigraph as ox
from rdflib import BNode, Graph
from rdflib.compare import isomorphic

from kg.rdf import rdflib_graph

DATA = """\
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:label "Hà Nội"@vi , "Hanoi"@en , "plain" , "typed"^^xsd:string ;
    ex:count 3 ; ex:ratio 0.25 ; ex:when "2021-07-20"^^xsd:date ; ex:odd "x"^^ex:custom ;
    ex:link ex:b ; ex:has [ ex:name "inner" ] .
ex:b ex:quote "a \\"quoted\\" line\\nand another" .
"""


def test_same_graph_as_rdflib_parsing_n_triples() -> None:
    store = ox.Store()
    store.load(DATA.encode(), format=ox.RdfFormat.TURTLE)
    ntriples = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    expected = Graph().parse(data=ntriples, format="nt")
    made = rdflib_graph(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert len(made) == len(expected) == 12
    assert isomorphic(made, expected)
    assert _ground(made) == _ground(expected)  # the same terms, literal types included


def _ground(graph: Graph) -> set:
    return {t for t in graph if not any(isinstance(term, BNode) for term in t)}


def test_graph_names_are_dropped_and_the_collector_left_as_it_was() -> None:
    ex = "http://example.org/"
    quads = [
        ox.Quad(ox.NamedNode(ex + "s"), ox.NamedNode(ex + "p"), ox.Literal("o")),
        ox.Quad(
            ox.NamedNode(ex + "s"), ox.NamedNode(ex + "p"), ox.Literal("o"), ox.NamedNode(ex + "g")
        ),
    ]
    assert gc.isenabled()
    graph = Graph()
    assert rdflib_graph(quads, graph) is graph
    assert len(graph) == 1 and gc.isenabled()
    gc.disable()
    try:
        rdflib_graph(quads)
        assert not gc.isenabled()
    finally:
        gc.enable()
