"""Pasted material (code blocks, long quotations) is left out of what a request is searched by."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from skillyard.route.pasted import MIN_TERMS, without_pasted
from skillyard.route.router import RouteIndex, Router
from skillyard.route.settings import RouteSettings
from skillyard.route.text import tokenize

# Pasted material that reads like another skill's subject: a Supabase/Postgres snippet.
CODE = """```sql
create table orders (id bigint primary key, customer_email text not null);
alter table orders enable row level security;
create policy "own orders" on orders for select using (auth.email() = customer_email);
select * from orders where customer_email = 'dana@example.com';
```"""
EMAIL = ('"Hi team, the Postgres migration on Supabase failed again last night. Row level '
         'security policies on the orders table block the nightly export job, and the '
         'database logs show permission denied for every select."')
ASK = "Build an MCP server that wraps our orders REST API so the assistant can call it."


def test_a_fenced_block_is_left_out() -> None:
    kept = without_pasted(f"{ASK}\n\n{CODE}\n\nThanks!")
    assert "create table" not in kept and "MCP server" in kept and "Thanks!" in kept


def test_a_long_quotation_is_left_out_and_short_ones_are_kept() -> None:
    assert "Postgres" not in without_pasted(f"{ASK} For context, from the on-call: {EMAIL}")
    # the words between two short quotations are part of the ask, not a quotation
    text = ('My prompt is "fix it" and the output is "done" every time; rewrite the prompt '
            'so that the agent plans its steps, checks each migrated component, and asks '
            'before deleting files, then save it for the team.')
    assert without_pasted(text) == text


def test_curly_and_single_quotations_and_apostrophes() -> None:
    curly = "“" + EMAIL.strip('"') + "”"
    assert "Postgres" not in without_pasted(f"{ASK} They wrote: {curly}")
    single = "'" + EMAIL.strip('"') + "'"
    assert "Postgres" not in without_pasted(f"{ASK} They wrote: {single}")
    text = ("Our users' sessions expire and the team's dashboard doesn't show why; we've "
            "checked the auth provider's logs and it's not the tokens' lifetime, I think.")
    assert without_pasted(text) == text


def test_a_request_that_is_only_material_is_searched_whole() -> None:
    assert without_pasted(CODE) == CODE
    assert without_pasted(f"fix: {EMAIL}") == f"fix: {EMAIL}"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab \n\"'`~“”«»:.x")), max_size=400))
def test_any_text_gives_the_text_or_a_shorter_request_with_terms_left(text: str) -> None:
    kept = without_pasted(text)
    assert kept == text or (len(kept) < len(text) and len(tokenize(kept)) >= MIN_TERMS)


def test_routing_reads_the_ask_not_the_material(sample_route_index: RouteIndex) -> None:
    request = f"{ASK}\n\n{CODE}\n\nFrom the on-call channel: {EMAIL}"
    ask_only = Router(sample_route_index, settings=RouteSettings(pasted_weight=0.0))
    alone = ask_only.route(ASK, k=3)
    pasted = ask_only.route(request, k=3, explain=True)
    assert [h.id for h in pasted.results] == [h.id for h in alone.results]
    assert any(note.startswith("pasted material left out") for note in pasted.notes)
    both = Router(sample_route_index).route(request, k=3, explain=True)
    assert both.results[0].name == "mcp-builder"  # the material does not outweigh the ask
    assert any(note.startswith("pasted material: the ask was searched alone and with")
               for note in both.notes)
    assert both.query.endswith(EMAIL)  # the result still reports the request as asked


# A BigQuery ML snippet pasted under an ask that names no subject of its own.
BIGQUERY = """```sql
CREATE OR REPLACE MODEL `shop.analytics.churn_model`
OPTIONS (model_type = 'logistic_reg', input_label_cols = ['churned']) AS
SELECT tenure_days, orders_90d, support_tickets, churned FROM `shop.analytics.customers`;
SELECT * FROM ML.PREDICT(MODEL `shop.analytics.churn_model`, TABLE `shop.analytics.active`);
```"""


def test_the_material_still_counts_in_the_first_stage(sample_route_index: RouteIndex) -> None:
    request = f"Is this safe to run as it is? Please check it for mistakes.\n\n{BIGQUERY}"

    def first_stage(weight: float) -> list[str]:
        settings = RouteSettings(pasted_weight=weight, stage2=False)
        return [h.name for h in Router(sample_route_index, settings=settings).route(
            request, k=8).results]

    assert "bigquery-ai-ml" not in first_stage(0.0)
    assert "bigquery-ai-ml" in first_stage(1.0)


@settings(max_examples=25, deadline=None)
@given(st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz  .,:\n"), min_size=1, max_size=300))
def test_a_request_without_material_routes_the_same_whatever_the_weight(
        sample_route_index: RouteIndex, text: str) -> None:
    routes = [[h.id for h in Router(sample_route_index, settings=RouteSettings(
        pasted_weight=weight)).route(text, k=5).results] for weight in (0.0, 1.0, 3.0)]
    assert routes[0] == routes[1] == routes[2]
