// A typed use of the types openapi-typescript generates from /openapi.json: what a
// TypeScript frontend writes. It only has to compile (tsc --noEmit, strict): if the
// document stops describing what the API serves (a page's `data` and `next_cursor`, a
// Money's amount as a decimal string, the problem+json shape), this file breaks.
// `autofacts-api` is the generated file (tsconfig.json maps it; the test points it at the
// file it generated).
import type { components, paths } from "autofacts-api";

type Schemas = components["schemas"];
type JsonBody<Operation> = Operation extends {
  responses: { 200: { content: { "application/json": infer Body } } };
}
  ? Body
  : never;

type CompanyList = JsonBody<paths["/v1/companies"]["get"]>;
type CompanyListQuery = NonNullable<paths["/v1/companies"]["get"]["parameters"]["query"]>;
type Company = JsonBody<paths["/v1/companies/{slug}"]["get"]>;
type Problem = Schemas["Problem"];
type Money = Schemas["Money"];

// The query of the first page, then of the next one: `cursor` takes what `next_cursor` gave.
export const firstPage: CompanyListQuery = { limit: 2, include: ["citations"] };

export function nextPageQuery(page: CompanyList): CompanyListQuery | null {
  const cursor: string | null = page.next_cursor;
  return cursor === null ? null : { limit: 2, include: ["citations"], cursor };
}

export function companyNames(page: CompanyList): string[] {
  return page.data.map((company) => company.name);
}

// A detail embeds the quotes that back it: each names its source by id and quotes it.
export function quotes(company: Company): { sourceId: number; quote: string }[] {
  return (company.citations ?? []).map((citation) => ({
    sourceId: citation.source_id,
    quote: citation.quote,
  }));
}

export function describeCompany(company: Company): string {
  const country: string | null = company.country;
  return `${company.slug}: ${company.name} (${country ?? "no country"}, ${company.certainty})`;
}

// Money travels as a decimal string, never a float: amounts exceed 2^53 in yen.
export function formatMoney(money: Money): string {
  const amount: string = money.amount;
  const usd: string | null | undefined = money.usd;
  return usd == null ? `${amount} ${money.currency}` : `${amount} ${money.currency} (${usd} USD)`;
}

export function explain(problem: Problem): string {
  const status: number = problem.status;
  const fields = (problem.errors ?? []).map((error) => `${error.loc.join(".")}: ${error.msg}`);
  return [`${status} ${problem.title}: ${problem.detail} (${problem.instance})`, ...fields].join(
    "\n",
  );
}

// What a frontend sends to create: only the required fields. A field with a default the
// server fills in (`told_as`, an executive's `roles`) is one a body may leave out.
type JsonRequest<Operation> = Operation extends {
  requestBody: { content: { "application/json": infer Body } };
}
  ? Body
  : never;
type CompanyIn = JsonRequest<paths["/v1/companies"]["post"]>;
type ExecutiveIn = JsonRequest<paths["/v1/executives"]["post"]>;

const citations = [
  {
    source: "2025-11-14-honda-nissan",
    quote: "Honda and Nissan, longtime potential dance partners",
  },
];
export const newCompany: CompanyIn = {
  slug: "toyota",
  name: "Toyota",
  kind: "automaker",
  certainty: "reported",
  citations,
};
export const newExecutive: ExecutiveIn = {
  slug: "ivan-espinosa",
  name: "Ivan Espinosa",
  certainty: "confirmed",
  citations,
};

// The types are exact, not `any`: each line below must be refused. tsc fails on an
// expect-error directive with nothing to refuse, so a schema that degraded to `any` or
// `unknown` is caught too.
export function refused(page: CompanyList, money: Money, problem: Problem): void {
  // @ts-expect-error an amount is a string, not a number
  const amount: number = money.amount;
  // @ts-expect-error a page has no `items`, it has `data`
  const items = page.items;
  // @ts-expect-error `next_cursor` may be null on the last page
  const cursor: string = page.next_cursor;
  // @ts-expect-error a problem's status is a number
  const status: string = problem.status;
  // @ts-expect-error `limit` is a number
  const query: CompanyListQuery = { limit: "2" };
  // @ts-expect-error `include` takes the names it documents, no others
  const include: CompanyListQuery = { include: ["everything"] };
  // @ts-expect-error a company's body needs its citations
  const uncited: CompanyIn = {
    slug: "toyota",
    name: "Toyota",
    kind: "automaker",
    certainty: "reported",
  };
  void [amount, items, cursor, status, query, include, uncited];
}
