// An unknown hash route.

import { useI18n } from "../i18n";
import { href } from "../router";

export function NotFound() {
  const { m } = useI18n();
  return (
    <>
      <h1>{m.notFound.title}</h1>
      <p>
        <a href={href.board}>{m.notFound.home}</a>
      </p>
    </>
  );
}
