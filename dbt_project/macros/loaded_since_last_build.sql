{#
    Incremental models keyed on loads rather than on dates, for facts whose history
    any extraction may revisit (a comment is extracted again as long as its post is in
    the lookback, and the history's comments can sit in a single extraction day).

    An incremental build reprocesses the keys that a load brought since this model's
    last build: `_loaded_at` (stamped by `socialpulse load` on every raw row) newer than
    the newest load the target already holds (`watermark`, a column of the target; NULL
    in a target made before the column existed, so everything is reprocessed once).
    Rerunning a day reloads its partitions, with a new `_loaded_at`: reprocessed. A full
    build renders nothing.

    Usage, in the model's first CTE over its source:
        where true {{ loaded_since_last_build('comment_id', ref('stg_x__replies')) }}
    - `key`: the grain; every row of a reprocessed key is read (so the latest
      extraction is chosen among all of them, as a full build would);
    - `relation`: where the loads are read (`loaded_column`), by default the model's
      source itself;
    - `where`: a filter on the target's rows for the watermark (one platform's).
#}
{% macro loaded_since_last_build(
    key,
    relation,
    loaded_column='_loaded_at',
    watermark='_last_loaded_at',
    where=none
) -%}
    {%- if is_incremental() -%}
        and {{ key }} in (
            select {{ key }}
            from {{ relation }}
            where true {{ loaded_after_watermark(loaded_column, watermark, where) }}
        )
    {%- endif -%}
{%- endmacro %}


{#- The same filter on a source with one row per key: its rows loaded since the last build. -#}
{% macro loaded_after_watermark(loaded_column='_loaded_at', watermark='_last_loaded_at', where=none) -%}
    {%- if is_incremental() -%}
        and {{ loaded_column }} > (
            select coalesce(max({{ watermark }}), '-infinity'::timestamptz)
            from {{ this }}
            {% if where %}where {{ where }}{% endif %}
        )
    {%- endif -%}
{%- endmacro %}
