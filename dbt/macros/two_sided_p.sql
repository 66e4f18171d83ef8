{#- Two-sided p-value of a standard normal z: erfc(|z|/√2), by Abramowitz & Stegun 7.1.26
    (absolute error below 1.5e-7). DuckDB has no normal CDF. -#}
{% macro two_sided_p(z) -%}
(
    (0.254829592 * (1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2)))
     - 0.284496736 * (1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2))) ^ 2
     + 1.421413741 * (1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2))) ^ 3
     - 1.453152027 * (1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2))) ^ 4
     + 1.061405429 * (1.0 / (1.0 + 0.3275911 * abs({{ z }}) / sqrt(2))) ^ 5)
    * exp(-0.5 * ({{ z }}) * ({{ z }}))
)
{%- endmacro %}
