import { h } from 'preact'
import { link, Page, Pending, Table, useApi } from '../ui.js'

interface Project {
  id: string
  name: string
}

/** The projects the user is a member of; an administrator sees all. */
export function ProjectsPage() {
  const { data, error } = useApi<{ projects: Project[] }>('/v1/projects')
  return h(
    Page,
    { title: 'Projects' },
    h(
      'section',
      { 'aria-labelledby': 'projects-title' },
      h('h2', { id: 'projects-title' }, 'Your projects'),
      !data
        ? h(Pending, { error })
        : data.projects.length === 0
          ? h(
              'p',
              { class: 'muted' },
              'You are not a member of any project yet; ask a project owner to add you.',
            )
          : h(
              'ul',
              { class: 'plain-list' },
              data.projects.map((project) => h('li', null, link(`/projects/${project.id}`, project.name))),
            ),
    ),
  )
}

/** The tabs of every project page. */
export function projectTabs(projectId: string): [string, string][] {
  return [
    [`/projects/${projectId}`, 'Datasets'],
    [`/projects/${projectId}/sources`, 'Sources'],
    [`/projects/${projectId}/audit`, 'Audit log'],
  ]
}

interface Dataset {
  id: string
  name: string
  format: string
  currentVersionId: string | null
}

/** A project's datasets, each leading to its batches and versions. */
export function ProjectPage(props: { projectId: string }) {
  const project = useApi<Project>(`/v1/projects/${props.projectId}`)
  const datasets = useApi<{ datasets: Dataset[] }>(`/v1/projects/${props.projectId}/datasets`)
  return h(
    Page,
    {
      title: project.data ? `Project ${project.data.name}` : 'Project',
      crumbs: [['/projects', 'Projects']],
      tabs: projectTabs(props.projectId),
    },
    h(
      'section',
      { 'aria-labelledby': 'datasets-title' },
      h('h2', { id: 'datasets-title' }, 'Datasets'),
      !datasets.data
        ? h(Pending, { error: datasets.error ?? project.error })
        : h(Table, {
            caption: 'Datasets of the project',
            head: ['Dataset', 'Format', 'Versions'],
            rows: datasets.data.datasets.map((dataset) => [
              link(`/datasets/${dataset.id}`, dataset.name),
              dataset.format,
              link(`/datasets/${dataset.id}/versions`, 'versions'),
            ]),
          }),
    ),
  )
}
