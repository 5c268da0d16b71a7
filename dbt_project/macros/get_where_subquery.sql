{#
    Data tests on large tables check the rows a daily build can change, not the whole
    history (dbt's documented override of get_where_subquery, which wraps the `model`
    of every generic test).

    A model opts in with `meta: {data_tests_recent_column: <date or timestamp column>}`:
    its generic tests then read only the rows whose column is at most
    `var('data_tests_recent_days')` days (default 31) before the day of var `as_of`
    (what the build DAG passes: the newest day loaded), or without `as_of` before the
    newest value in the table.
    An incremental build rewrites rows of recent days only (incremental_window:
    `reprocess_days`; comments: the posts of the extraction lookback, a few days), so
    the rows it writes are inside that window; older rows were tested when written.
    A row whose column is NULL is always tested (so that not_null of that column still
    bites). Relationship tests still look the parent up in the whole parent table, and
    a test's own `where` config is kept (both filters apply).

    Everything is tested:
    - by `dbt build --full-refresh` (also of a test node alone: `--select <test>`);
    - with `--vars '{data_tests_recent_days: 0}'`;
    - for models without the meta key.
#}
{% macro get_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do filters.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set recent = data_tests_recent_filter(relation) -%}
    {%- if recent -%}
        {%- do filters.append(recent) -%}
    {%- endif -%}
    {%- if filters -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ filters | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- The recent-rows filter of a test's model (see get_where_subquery), or '' when its
    rows are all to be tested. -#}
{% macro data_tests_recent_filter(relation) -%}
    {%- set days = var('data_tests_recent_days', 31) -%}
    {%- if not execute or flags.FULL_REFRESH or not days or model.resource_type != 'test' -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '', {}) -%}
    {%- set column = (tested.get('config', {}).get('meta', {}) or {}).get('data_tests_recent_column') -%}
    {%- if not column -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of -%}
        {#- a literal: the filter reaches the scans of views over the raw layer -#}
        {%- set as_of_day = modules.datetime.date.fromisoformat((as_of | string)[:10]) -%}
        {%- set cutoff = "date '" ~ (as_of_day - modules.datetime.timedelta(days=days | int)).isoformat() ~ "'" -%}
    {%- else -%}
        {%- set cutoff = '(select max(' ~ column ~ ') from ' ~ relation ~ ') - to_days(' ~ (days | int) ~ ')' -%}
    {%- endif -%}
    {#- a row without the column is tested (not_null of that very column must see it) -#}
    {%- do return('(' ~ column ~ ' >= ' ~ cutoff ~ ' or ' ~ column ~ ' is null)') -%}
{%- endmacro %}
