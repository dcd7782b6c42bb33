{#-
    Statistics as SQL expressions, the same on every warehouse: plain arithmetic, sqrt and ln, which
    DuckDB, PostgreSQL and Spark all spell alike. Arguments are SQL expressions.
-#}

{% macro safe_divide(numerator, denominator) %}
    {#- numerator / denominator as a double; null when the denominator is 0 or null. -#}
    case
        when ({{ denominator }}) != 0
            then cast({{ numerator }} as {{ type_double() }}) / ({{ denominator }})
    end
{% endmacro %}


{% macro round_double(expr, digits) %}
    {#- Round half away from zero to `digits` decimals (PostgreSQL rounds numeric, not double). -#}
    cast(round(cast({{ expr }} as {{ dbt.type_numeric() }}), {{ digits }}) as {{ type_double() }})
{% endmacro %}


{% macro two_proportion_z_score(successes_a, trials_a, successes_b, trials_b) %}
    {#- z of the difference of two proportions (a minus b) under the pooled null of no difference:
        (p_a - p_b) / sqrt(p (1 - p) (1/n_a + 1/n_b)), p = (x_a + x_b) / (n_a + n_b).
        0 when the pooled proportion is 0 or 1 (every account or none did it: no difference to
        measure); null when a group is empty. -#}
    case
        when {{ trials_a }} = 0 or {{ trials_b }} = 0 then null
        when
            {{ successes_a }} + {{ successes_b }} = 0
            or {{ successes_a }} + {{ successes_b }} = {{ trials_a }} + {{ trials_b }}
            then 0
        else (
            cast({{ successes_a }} as {{ type_double() }}) / {{ trials_a }}
            - cast({{ successes_b }} as {{ type_double() }}) / {{ trials_b }}
        ) / sqrt(
            (cast({{ successes_a }} + {{ successes_b }} as {{ type_double() }}) / ({{ trials_a }} + {{ trials_b }}))
            * (1 - cast({{ successes_a }} + {{ successes_b }} as {{ type_double() }}) / ({{ trials_a }} + {{ trials_b }}))
            * (1.0 / {{ trials_a }} + 1.0 / {{ trials_b }})
        )
    end
{% endmacro %}


{% macro difference_of_proportions_standard_error(successes_a, trials_a, successes_b, trials_b) %}
    {#- The unpooled (Wald) standard error of p_a - p_b, for a confidence interval around the
        observed difference: sqrt(p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b). -#}
    case
        when {{ trials_a }} > 0 and {{ trials_b }} > 0
            then sqrt(
                (cast({{ successes_a }} as {{ type_double() }}) / {{ trials_a }})
                * (1 - cast({{ successes_a }} as {{ type_double() }}) / {{ trials_a }})
                / {{ trials_a }}
                + (cast({{ successes_b }} as {{ type_double() }}) / {{ trials_b }})
                * (1 - cast({{ successes_b }} as {{ type_double() }}) / {{ trials_b }})
                / {{ trials_b }}
            )
    end
{% endmacro %}


{% macro auc_standard_error(auc, positives, negatives) %}
    {#- Hanley and McNeil (1982): the standard error of an AUC from n1 positives and n2 negatives.
        q1 = A / (2 - A), q2 = 2 A^2 / (1 + A),
        se = sqrt((A (1 - A) + (n1 - 1)(q1 - A^2) + (n2 - 1)(q2 - A^2)) / (n1 n2)). -#}
    case
        when {{ positives }} > 0 and {{ negatives }} > 0
            then sqrt(
                greatest(
                    (
                        {{ auc }} * (1 - {{ auc }})
                        + ({{ positives }} - 1) * ({{ auc }} / (2 - {{ auc }}) - {{ auc }} * {{ auc }})
                        + ({{ negatives }} - 1) * (2 * {{ auc }} * {{ auc }} / (1 + {{ auc }}) - {{ auc }} * {{ auc }})
                    ) / (cast({{ positives }} as {{ type_double() }}) * {{ negatives }}),
                    0
                )
            )
    end
{% endmacro %}
